// The colour scale of every picture: -1 orange, 0 light grey, +1 blue (the TensorFlow
// playground's), and the decoding of the heat maps the server sends.

const NEGATIVE = [245, 147, 34];
const MIDDLE = [232, 234, 235];
const POSITIVE = [8, 119, 189];

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

/** The colour [r, g, b] of a value in [-1, 1] (clamped). */
export function colorOf(value) {
  const v = Math.max(-1, Math.min(1, value));
  return v < 0 ? mix(MIDDLE, NEGATIVE, -v) : mix(MIDDLE, POSITIVE, v);
}

export function cssColor(value) {
  const [r, g, b] = colorOf(value);
  return `rgb(${r},${g},${b})`;
}

// Colours for the bytes 0..255 the server sends (byte b stands for b / 127.5 - 1), paled a little
// towards white so that the data points stand out on the heat maps.
const pale = (rgb) => mix(rgb, [255, 255, 255], 0.25);
const TABLE = Array.from({ length: 256 }, (_, b) => pale(colorOf(b / 127.5 - 1)));
const DISCRETE = Array.from({ length: 256 }, (_, b) => pale(b >= 128 ? POSITIVE : NEGATIVE));

/** Base64 text to bytes. */
export function decodeBytes(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Paint a square heat map of bytes into a canvas of the same size (one pixel per sample). */
export function paintBytes(canvas, bytes, discretize = false) {
  const size = Math.round(Math.sqrt(bytes.length));
  if (canvas.width !== size) canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(size, size);
  const table = discretize ? DISCRETE : TABLE;
  for (let i = 0; i < bytes.length; i++) {
    const [r, g, b] = table[bytes[i]];
    image.data[4 * i] = r;
    image.data[4 * i + 1] = g;
    image.data[4 * i + 2] = b;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** The colour bar under the output. */
export function paintScale(canvas) {
  const ctx = canvas.getContext("2d");
  for (let x = 0; x < canvas.width; x++) {
    ctx.fillStyle = cssColor((x / (canvas.width - 1)) * 2 - 1);
    ctx.fillRect(x, 0, 1, canvas.height);
  }
}
