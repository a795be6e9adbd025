// The output picture: the decision surface (or regression surface) as a heat map, with the data
// points on top: training points ringed in white, test points ringed in black.

import { cssColor, decodeBytes, paintBytes } from "./colors.js";

const RADIUS = 6; // the data live in [-6, 6]^2, like the server's grid

export class HeatMap {
  constructor(canvas) {
    this.canvas = canvas;
    this.samples = document.createElement("canvas"); // one pixel per sample, scaled up when drawn
    this.train = [];
    this.test = [];
    this.bytes = null;
    this.showTest = false;
    this.discretize = false;
  }

  setPoints(train, test) {
    this.train = train;
    this.test = test;
    this.redraw();
  }

  setOutput(base64) {
    this.bytes = decodeBytes(base64);
    this.redraw();
  }

  setOptions({ showTest, discretize }) {
    this.showTest = showTest;
    this.discretize = discretize;
    this.redraw();
  }

  redraw() {
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    if (this.bytes) {
      paintBytes(this.samples, this.bytes, this.discretize);
      ctx.imageSmoothingEnabled = !this.discretize;
      ctx.drawImage(this.samples, 0, 0, width, height);
    }
    this.drawPoints(ctx, this.train, "#fff");
    if (this.showTest) this.drawPoints(ctx, this.test, "#000");
  }

  drawPoints(ctx, points, ring) {
    const { width, height } = this.canvas;
    ctx.lineWidth = 1;
    ctx.strokeStyle = ring;
    for (const [x, y, label] of points) {
      ctx.beginPath();
      ctx.arc(((x + RADIUS) / (2 * RADIUS)) * width, ((RADIUS - y) / (2 * RADIUS)) * height, 3, 0, 2 * Math.PI);
      ctx.fillStyle = cssColor(label);
      ctx.fill();
      ctx.stroke();
    }
  }
}
