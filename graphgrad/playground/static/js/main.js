// The page: make a session on the server, build the controls and pictures, and draw every
// message the server streams. Every number on the page is computed by graphgrad on the server.

import { Session } from "./api.js";
import { LossChart } from "./chart.js";
import { paintScale } from "./colors.js";
import { Controls } from "./controls.js";
import { HeatMap } from "./heatmap.js";
import { NetworkDiagram } from "./network.js";

const $ = (id) => document.getElementById(id);

function showStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
  status.classList.toggle("visible", Boolean(text));
}

function formatLoss(value) {
  return value === null || value === undefined ? "NaN" : value.toFixed(3);
}

class Page {
  constructor(session) {
    this.session = session;
    this.heatmap = new HeatMap($("heatmap"));
    this.chart = new LossChart($("loss-chart"));
    this.controls = new Controls(session.choices, session.datasets,
      (changes) => this.change(changes), (action) => this.act(action));
    this.diagram = new NetworkDiagram($("diagram"), $("columns"), $("links"), session.choices, {
      toggleFeature: (name) => this.toggleFeature(name),
      changeNeurons: (layer, delta) => this.changeNeurons(layer, delta),
    });
    $("add-layer").addEventListener("click", () => this.changeLayers(+1));
    $("remove-layer").addEventListener("click", () => this.changeLayers(-1));
    for (const id of ["show-test", "discretize"]) {
      $(id).addEventListener("change", () => this.heatmap.setOptions({
        showTest: $("show-test").checked, discretize: $("discretize").checked,
      }));
    }
    $("show-code").addEventListener("click", () => this.showCode());
    $("close-code").addEventListener("click", () => $("code-dialog").close());
    $("copy-code").addEventListener("click", () => navigator.clipboard.writeText($("code").textContent)
      .then(() => showStatus("Copied."), () => showStatus("Copying is not allowed here; select the text.")));
    paintScale($("scale"));
    this.structure = "";
    this.connect();
  }

  connect() {
    this.session.connect((message) => this.receive(message), () => this.lost());
  }

  /** The connection dropped (server restarted, laptop slept): reconnect, or start a new session. */
  lost() {
    showStatus("Connection to the server lost; retrying...", true);
    setTimeout(async () => {
      try {
        await this.session.act("pause");
      } catch (error) {
        if (error.status !== 404) return this.lost();
        try {
          const fresh = await Session.create(this.session.settings);
          this.session.id = fresh.id;
        } catch {
          return this.lost();
        }
      }
      showStatus("");
      this.connect();
    }, 2000);
  }

  receive(message) {
    if (message.type === "setup") {
      this.session.settings = message.settings;
      this.controls.show(message.settings);
      const structure = JSON.stringify([message.settings.features, message.settings.hidden]);
      if (structure !== this.structure) {
        this.structure = structure;
        this.diagram.build(message.settings);
      }
      const layers = message.settings.hidden.length;
      $("layer-count").textContent = `${layers} hidden layer${layers === 1 ? "" : "s"}`;
      $("add-layer").disabled = layers >= this.session.choices.max_layers;
      $("remove-layer").disabled = layers === 0;
      this.heatmap.setPoints(message.train, message.test);
      this.chart.reset();
    } else if (message.type === "frame") {
      this.controls.showFrame(message);
      $("test-loss").textContent = formatLoss(message.test_loss);
      $("train-loss").textContent = formatLoss(message.train_loss);
      this.chart.add(message.epoch, message.train_loss, message.test_loss);
      this.heatmap.setOutput(message.output);
      this.diagram.update(message, this.heatmap.samples);
    }
  }

  async change(changes) {
    try {
      const settings = await this.session.change(changes);
      this.controls.show(settings);
      showStatus("");
    } catch (error) {
      showStatus(error.message, true);
      this.controls.show(this.session.settings);
    }
  }

  async act(action) {
    try {
      await this.session.act(action);
      showStatus("");
    } catch (error) {
      showStatus(error.message, true);
    }
  }

  toggleFeature(name) {
    const used = this.session.settings.features;
    const features = used.includes(name) ? used.filter((f) => f !== name) : [...used, name];
    this.change({ features });
  }

  changeLayers(delta) {
    const hidden = [...this.session.settings.hidden];
    if (delta > 0) hidden.push(hidden.length ? hidden[hidden.length - 1] : 2);
    else hidden.pop();
    this.change({ hidden });
  }

  changeNeurons(layer, delta) {
    const hidden = [...this.session.settings.hidden];
    hidden[layer] += delta;
    this.change({ hidden });
  }

  async showCode() {
    try {
      const code = await this.session.code();
      $("code").textContent = code;
      const link = $("download-code");
      if (link.href.startsWith("blob:")) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(new Blob([code], { type: "text/x-python" }));
      $("code-dialog").showModal();
    } catch (error) {
      showStatus(error.message, true);
    }
  }
}

Session.create()
  .then((session) => { window.playground = new Page(session); })
  .catch((error) => showStatus(`Could not start a session: ${error.message}`, true));
