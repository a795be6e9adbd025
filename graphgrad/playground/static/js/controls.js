// The controls of the top bar and the data panel: each shows a setting and, when used, asks the
// server to change it. They are redrawn from the settings the server confirms.

const FORMATS = {
  learning_rate: (v) => String(v),
  regularization_rate: (v) => String(v),
  activation: (v) => ({ relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear" })[v] || v,
  regularization: (v) => ({ none: "None", l1: "L1", l2: "L2" })[v] || v,
};

function fillSelect(select, values, format) {
  select.replaceChildren(...values.map((v) => {
    const option = document.createElement("option");
    option.value = String(v);
    option.textContent = format(v);
    return option;
  }));
}

export class Controls {
  /** `change(changes)` sends settings; `act(action)` sends play/pause/step/reset/regenerate. */
  constructor(choices, datasets, change, act) {
    this.datasets = datasets;
    this.change = change;
    this.act = act;
    this.settings = null;
    const pick = {
      learning_rate: choices.learning_rates, regularization_rate: choices.regularization_rates,
      activation: choices.activations, regularization: choices.regularizations,
    };
    for (const [key, values] of Object.entries(pick)) {
      const select = document.getElementById(key);
      fillSelect(select, values, FORMATS[key]);
      const numeric = typeof values[0] === "number";
      select.addEventListener("change", () => change({ [key]: numeric ? Number(select.value) : select.value }));
    }
    const problem = document.getElementById("problem");
    problem.addEventListener("change", () => change({ problem: problem.value }));
    for (const key of ["train_percent", "noise", "batch_size"]) {
      const slider = document.getElementById(key);
      slider.addEventListener("input", () => this.showSliderValue(key, Number(slider.value)));
      slider.addEventListener("change", () => change({ [key]: Number(slider.value) }));
    }
    document.getElementById("regenerate").addEventListener("click", () => act("regenerate"));
    document.getElementById("reset").addEventListener("click", () => act("reset"));
    document.getElementById("step").addEventListener("click", () => act("step"));
    document.getElementById("play").addEventListener("click", () => act(this.playing ? "pause" : "play"));
    this.playing = false;
    this.thumbnails = this.buildThumbnails();
  }

  buildThumbnails() {
    const container = document.getElementById("datasets");
    const thumbs = {};
    for (const [name, info] of Object.entries(this.datasets)) {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 56;
      canvas.className = "thumbnail";
      canvas.title = info.title;
      canvas.dataset.dataset = name;
      drawThumbnail(canvas, info.points);
      canvas.addEventListener("click", () => this.change({ dataset: name }));
      container.append(canvas);
      thumbs[name] = canvas;
    }
    return thumbs;
  }

  showSliderValue(key, value) {
    document.getElementById(`${key}_value`).textContent = String(value);
  }

  /** Show the confirmed settings. */
  show(settings) {
    this.settings = settings;
    for (const key of ["learning_rate", "regularization_rate", "activation", "regularization", "problem"]) {
      document.getElementById(key).value = String(settings[key]);
    }
    document.getElementById("regularization_rate").disabled = settings.regularization === "none";
    for (const key of ["train_percent", "noise", "batch_size"]) {
      document.getElementById(key).value = settings[key];
      this.showSliderValue(key, settings[key]);
    }
    for (const [name, canvas] of Object.entries(this.thumbnails)) {
      canvas.hidden = this.datasets[name].problem !== settings.problem;
      canvas.classList.toggle("selected", name === settings.dataset);
    }
  }

  /** Show the play state and the epoch of a frame. */
  showFrame(frame) {
    this.playing = frame.playing;
    const play = document.getElementById("play");
    play.setAttribute("aria-label", frame.playing ? "pause" : "play");
    play.classList.toggle("playing", frame.playing);
    document.getElementById("epoch").textContent = String(frame.epoch).padStart(6, "0")
      .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
}

function drawThumbnail(canvas, points) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f7f7f7";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const [x, y, label] of points) {
    const v = Math.max(-1, Math.min(1, label));
    ctx.fillStyle = v < 0 ? `rgba(245,147,34,${0.3 - 0.7 * v})` : `rgba(8,119,189,${0.3 + 0.7 * v})`;
    ctx.fillRect(((x + 6) / 12) * canvas.width - 1, ((6 - y) / 12) * canvas.height - 1, 2, 2);
  }
}
