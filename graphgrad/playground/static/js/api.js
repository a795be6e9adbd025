// Talking to the server: JSON requests for every control, and the WebSocket that streams the
// session's setup (settings and points) and frames (epoch, losses, heat maps, weights).

async function request(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = new Error((data && data.error) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

export class Session {
  /** A new session on the server; `settings` (optional) are its first settings. */
  static async create(settings) {
    const info = await request("POST", "/api/sessions", settings || {});
    return new Session(info);
  }

  constructor(info) {
    this.id = info.id;
    this.settings = info.settings;
    this.choices = info.choices;
    this.datasets = info.datasets;
    this.socket = null;
  }

  url(path) {
    return `/api/sessions/${encodeURIComponent(this.id)}/${path}`;
  }

  async change(changes) {
    const answer = await request("POST", this.url("settings"), changes);
    this.settings = answer.settings;
    return answer.settings;
  }

  act(action) {
    return request("POST", this.url("action"), { action });
  }

  code() {
    return request("GET", this.url("code"));
  }

  /** Open the stream; `onMessage(message)` gets each setup and frame, `onClose()` a lost connection. */
  connect(onMessage, onClose) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.socket = new WebSocket(`${scheme}://${location.host}${this.url("ws")}`);
    this.socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    this.socket.addEventListener("close", () => onClose());
  }
}
