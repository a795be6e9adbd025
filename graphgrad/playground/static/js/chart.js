// The loss curve: training loss (grey) and test loss (black) against epochs.

const MAX_POINTS = 600;

export class LossChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.points = []; // [epoch, train loss, test loss]
  }

  /** Add a frame's losses; a frame with a smaller epoch means training started again. */
  add(epoch, train, test) {
    const last = this.points[this.points.length - 1];
    if (last && epoch < last[0]) this.points = [];
    if (last && epoch === last[0]) this.points.pop();
    this.points.push([epoch, train, test]);
    if (this.points.length > MAX_POINTS) {
      // keep the whole history at half the resolution
      this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
    }
    this.draw();
  }

  reset() {
    this.points = [];
    this.draw();
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    if (this.points.length < 2) return;
    const first = this.points[0][0];
    const span = Math.max(1, this.points[this.points.length - 1][0] - first);
    const finite = this.points.flatMap((p) => [p[1], p[2]]).filter(Number.isFinite);
    const top = Math.max(1e-9, ...finite);
    for (const [column, color] of [[1, "#999"], [2, "#000"]]) {
      ctx.beginPath();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      this.points.forEach((p, i) => {
        const x = ((p[0] - first) / span) * (width - 2) + 1;
        const y = height - 2 - (Math.min(p[column], top) / top) * (height - 4);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
  }
}
