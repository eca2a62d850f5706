// The reference runtime, @copilotkit/runtime 1.10.6, served the way its docs show for plain Node:
// one http server, copilotRuntimeNodeHttpEndpoint, the OpenAI adapter pointed at the benchmark's mock LLM.
// Usage: node server.cjs <mock base url, with /v1> [port]; prints "listening on <url>" when ready.
const http = require("node:http");
const OpenAI = require("openai");
const { HttpAgent } = require("@ag-ui/client");
const { CopilotRuntime, OpenAIAdapter, copilotRuntimeNodeHttpEndpoint } = require("@copilotkit/runtime");

const [baseURL, port = "0"] = process.argv.slice(2);
if (!baseURL) {
  console.error("usage: node server.cjs <mock LLM base url> [port]");
  process.exit(2);
}
const serviceAdapter = new OpenAIAdapter({ openai: new OpenAI({ baseURL, apiKey: "bench" }), model: "bench" });
const handler = copilotRuntimeNodeHttpEndpoint({
  endpoint: "/api/copilotkit",
  // bench_agent is only named by loadAgentState (scenario e), as in agui-runtime's bench settings; it is never run.
  runtime: new CopilotRuntime({ agents: { bench_agent: new HttpAgent({ url: "http://127.0.0.1:9/unused" }) } }),
  serviceAdapter,
});
const server = http.createServer((req, res) => handler(req, res));
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/api/copilotkit`);
});
process.on("SIGTERM", () => process.exit(0));
