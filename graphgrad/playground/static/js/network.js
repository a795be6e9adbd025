// The network diagram: a column of input features, a column per hidden layer, the output node;
// a small heat map in every node and a line for every weight (width: magnitude, colour: sign).

import { cssColor, decodeBytes, paintBytes } from "./colors.js";

const SVG = "http://www.w3.org/2000/svg";
const LABELS = {
  "x1": "X\u2081", "x2": "X\u2082", "x1^2": "X\u2081\u00b2", "x2^2": "X\u2082\u00b2",
  "x1*x2": "X\u2081X\u2082", "sin(x1)": "sin(X\u2081)", "sin(x2)": "sin(X\u2082)",
};

export class NetworkDiagram {
  /** `actions` has toggleFeature(name), changeNeurons(layer, delta); `choices` the server's limits. */
  constructor(diagram, columns, svg, choices, actions) {
    this.diagram = diagram;
    this.columnsElement = columns;
    this.svg = svg;
    this.choices = choices;
    this.actions = actions;
    this.layers = []; // per column of nodes: canvases, left to right (features used, hidden layers)
    this.links = []; // per weight matrix: paths[out][in]
    this.output = null;
    window.addEventListener("resize", () => this.placeLinks());
  }

  /** Rebuild the diagram for new settings (features, hidden layers). */
  build(settings) {
    this.columnsElement.replaceChildren();
    this.layers = [];
    this.columnsElement.append(this.featureColumn(settings.features));
    settings.hidden.forEach((neurons, i) => this.columnsElement.append(this.hiddenColumn(i, neurons)));
    const out = this.column("Output", "");
    this.output = this.node(out, "output");
    this.layers.push([this.output.canvas]);
    this.columnsElement.append(out);
    this.buildLinks();
  }

  column(title, extraClass) {
    const column = document.createElement("div");
    column.className = `column ${extraClass}`.trim();
    const head = document.createElement("div");
    head.className = "column-head";
    head.textContent = title;
    column.append(head);
    return column;
  }

  node(column, title, label = "") {
    const node = document.createElement("div");
    node.className = "node";
    node.title = title;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 26;
    node.append(canvas);
    if (label) {
      const text = document.createElement("span");
      text.className = "node-label";
      text.textContent = label;
      node.append(text);
    }
    column.append(node);
    return { node, canvas };
  }

  featureColumn(used) {
    const column = this.column("Features", "features");
    const canvases = [];
    for (const name of this.choices.features) {
      const on = used.includes(name);
      const { node, canvas } = this.node(column, on ? `${name}: click to leave it out` : `${name}: click to use it`,
        LABELS[name] || name);
      node.classList.add("feature", on ? "on" : "off");
      node.dataset.feature = name;
      node.addEventListener("click", () => this.actions.toggleFeature(name));
      if (on) canvases.push(canvas);
    }
    this.layers.push(canvases);
    return column;
  }

  hiddenColumn(index, neurons) {
    const column = this.column("", "hidden");
    const head = column.firstChild;
    const plus = button("+", `Add a neuron to layer ${index + 1}`, () => this.actions.changeNeurons(index, +1));
    const minus = button("\u2212", `Remove a neuron from layer ${index + 1}`,
      () => this.actions.changeNeurons(index, -1));
    plus.disabled = neurons >= this.choices.max_neurons;
    minus.disabled = neurons <= 1;
    const count = document.createElement("div");
    count.textContent = `${neurons} neuron${neurons === 1 ? "" : "s"}`;
    head.append(plus, minus, count);
    const canvases = [];
    for (let j = 0; j < neurons; j++) {
      canvases.push(this.node(column, `layer ${index + 1}, neuron ${j + 1}`).canvas);
    }
    this.layers.push(canvases);
    return column;
  }

  buildLinks() {
    this.svg.replaceChildren();
    this.links = [];
    for (let i = 0; i + 1 < this.layers.length; i++) {
      const rows = this.layers[i + 1].map(() => this.layers[i].map(() => {
        const path = document.createElementNS(SVG, "path");
        path.append(document.createElementNS(SVG, "title"));
        this.svg.append(path);
        return path;
      }));
      this.links.push(rows);
    }
    this.placeLinks();
  }

  /** Lay the lines from each node's right edge to the next column's nodes' left edges. */
  placeLinks() {
    const box = this.diagram.getBoundingClientRect();
    this.svg.setAttribute("width", box.width);
    this.svg.setAttribute("height", box.height);
    const anchor = (canvas, side) => {
      const r = canvas.getBoundingClientRect();
      return [(side === "right" ? r.right : r.left) - box.left, r.top + r.height / 2 - box.top];
    };
    this.links.forEach((rows, i) => rows.forEach((paths, k) => paths.forEach((path, j) => {
      const [x1, y1] = anchor(this.layers[i][j], "right");
      const [x2, y2] = anchor(this.layers[i + 1][k], "left");
      const mid = (x1 + x2) / 2;
      path.setAttribute("d", `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`);
    })));
  }

  /** Draw a frame: `nodes` (per column, base64 maps), `weights` (per layer, [out][in]), the output map. */
  update(frame, outputCanvas) {
    frame.nodes.forEach((maps, i) => maps.forEach((map, j) => {
      if (this.layers[i] && this.layers[i][j]) paintBytes(this.layers[i][j], decodeBytes(map));
    }));
    const ctx = this.output.canvas.getContext("2d");
    ctx.drawImage(outputCanvas, 0, 0, this.output.canvas.width, this.output.canvas.height);
    frame.weights.forEach((matrix, i) => matrix.forEach((row, k) => row.forEach((w, j) => {
      const path = this.links[i] && this.links[i][k] && this.links[i][k][j];
      if (!path) return;
      path.setAttribute("stroke", cssColor(w));
      path.setAttribute("stroke-width", Math.min(10, 1 + 1.8 * Math.abs(w)).toFixed(2));
      path.firstChild.textContent = `weight ${w.toFixed(3)}`;
    })));
  }
}

function button(text, title, onClick) {
  const b = document.createElement("button");
  b.className = "round small";
  b.textContent = text;
  b.title = title;
  b.addEventListener("click", onClick);
  return b;
}
