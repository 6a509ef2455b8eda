// Entry point of the page: asks for the API key when the server wants one, then starts the chat
// and the dashboard.
import { getJson, setApiKey, UnauthorizedError } from "./api.js";
import { Chat } from "./chat.js";
import { Dashboard, type ModelEntry } from "./dashboard.js";
import { byId } from "./dom.js";

const conn = byId("conn");
const app = byId("app");
const keyForm = byId<HTMLFormElement>("key-form");
const keyInput = byId<HTMLInputElement>("key");
const keyError = byId("key-error");

const askForKey = (): void => {
  app.hidden = true;
  keyForm.hidden = false;
  conn.textContent = "API key needed";
  keyInput.focus();
};

const dashboard = new Dashboard(askForKey);
const chat = new Chat({ onDone: () => dashboard.refreshSoon(), onUnauthorized: askForKey });
let following = false;

async function start(): Promise<void> {
  try {
    const models = await getJson<{ data: ModelEntry[] }>("/v1/models");
    const experts = models.data.filter((m) => m.id !== "auto");
    chat.setExperts(experts);
    dashboard.setExperts(experts);
    chat.setLimits((await dashboard.refresh()).limits);
    keyForm.hidden = true;
    app.hidden = false;
    if (!following) {
      following = true;
      void dashboard.follow(conn).finally(() => (following = false));
    }
  } catch (err) {
    if (err instanceof UnauthorizedError) {
      if (!keyForm.hidden) keyError.textContent = "That key was refused.";
      return askForKey();
    }
    conn.textContent = `cannot reach the server: ${err instanceof Error ? err.message : String(err)}`;
  }
}

keyForm.addEventListener("submit", (e) => {
  e.preventDefault();
  setApiKey(keyInput.value);
  keyInput.value = "";
  keyError.textContent = "";
  void start();
});

void start();
