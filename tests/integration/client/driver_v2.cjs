#!/usr/bin/env node
// Test driver for the REAL CopilotKit v2 / AG-UI npm clients against a runtime.
//   node driver_v2.cjs <scenario> <runtimeUrl> '<jsonArgs>'
// Prints exactly ONE JSON object on stdout (all console output of the libraries is captured into "logs").
//
// Scenarios:
//   agui-run      @ag-ui/client HttpAgent -> POST {runtimeUrl}/agent/{agentId}/run (with optional tool-result continuation)
//   agui-abort    HttpAgent run aborted client-side after stopAfterMs (agent.abortRun(); no server request)
//   core-info     CopilotKitCore: load runtime info only
//   core-run      CopilotKitCore.runAgent (frontend tools with handlers -> automatic follow-up run)
//   core-single   core-run with runtimeTransport "single" (unless jsonArgs.mode given)
//   core-connect  CopilotKitCore.connectAgent (thread history via /connect)
//   core-stop     CopilotKitCore.runAgent, then stopAgent after stopAfterMs
//   core-next-at-end  core-run, and the thread's next run POSTed in the callback of its terminal event
//   core-resources CopilotKitCore's runtime fetch (what its thread and memory stores use: REST, or the
//                 `resource/request` envelope with runtimeTransport "single") GETs each of jsonArgs.paths
//
// jsonArgs (all optional):
//   agentId ("default"), threadId, route (agui-* only: "run" or "suggest"; default "run"),
//   mode ("auto"|"rest"|"single", core only; default "auto"),
//   messages: AG-UI messages (ids auto-filled), userMessage: string (appended as a user message),
//   tools: [{name, description, parameters(JSON schema), result?, error?, followUp?, delayMs?, noHandler?}],
//   toolResults: {<toolName>|"*": <content>}  (agui-run continuation; content string or JSON),
//   continue (agui-run: true => answer frontend tool calls and run again), maxTurns (default 3),
//   context: [{description, value}], forwardedProps: {}, state: {}, headers: {}, resume: [{interruptId, status, payload}] (agui-run),
//   properties: {} (core only: CopilotKitCore `properties`, sent as forwardedProps on every run/connect),
//   stopAfterMs (default 600), timeoutMs (default 20000), includeRequests (default true),
//   paths: ["/threads/<id>/messages", ...] (core-resources: relative to runtimeUrl),
//   captureResponses (default true: tee response bodies; SSE frames parsed into requests[i].sseFrames and
//   validated -> top-level schemaErrors), includeRawSse (default false: keep requests[i].responseText)
"use strict";

const logs = [];
for (const level of ["log", "info", "warn", "error", "debug"]) {
  console[level] = (...a) =>
    logs.push({
      level,
      msg: a
        .map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : typeof x === "string" ? x : safeJson(x)))
        .join(" ")
        .slice(0, 2000),
    });
}

function safeJson(x) {
  try {
    return JSON.stringify(x);
  } catch {
    return String(x);
  }
}

const [, , scenario, runtimeUrlArg, jsonArgsRaw] = process.argv;
if (!scenario || !runtimeUrlArg) {
  process.stderr.write("usage: node driver_v2.cjs <scenario> <runtimeUrl> '<jsonArgs>'\n");
  process.exit(2);
}
const args = jsonArgsRaw ? JSON.parse(jsonArgsRaw) : {};
const runtimeUrl = runtimeUrlArg;
const agentId = args.agentId || "default";
const timeoutMs = args.timeoutMs ?? 20000;
const uuid = () => require("crypto").randomUUID();

// ---- outgoing request capture (wraps global fetch; every client path ends up in it) ----
const requests = [];
const pendingCaptures = [];
const origFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const headers = {};
  new Headers(init.headers || (typeof input === "object" && input.headers) || {}).forEach((v, k) => (headers[k] = v));
  let body = init.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {}
  }
  const entry = { method: (init.method || "GET").toUpperCase(), url, headers, body: body === undefined ? null : body };
  requests.push(entry);
  try {
    const res = await origFetch(input, init);
    entry.status = res.status;
    entry.responseContentType = res.headers.get("content-type");
    if (args.captureResponses === false || !res.body || [101, 204, 205, 304].includes(res.status)) return res;
    // Tee the body so the raw response (SSE frames / JSON error) is recorded without disturbing the client.
    const [a, b] = res.body.tee();
    const done = (async () => {
      let text = "";
      const reader = b.getReader();
      const dec = new TextDecoder();
      try {
        for (;;) {
          const { done: d, value } = await reader.read();
          if (d) break;
          text += dec.decode(value, { stream: true });
        }
      } catch (e) {
        entry.responseReadError = `${e && e.name}: ${e && e.message}`;
      }
      entry.responseText = text.length > 200000 ? text.slice(0, 200000) + "...[truncated]" : text;
    })();
    pendingCaptures.push(done);
    return new Response(a, { status: res.status, statusText: res.statusText, headers: res.headers });
  } catch (e) {
    entry.fetchError = `${e && e.name}: ${e && e.message}`;
    throw e;
  }
};

function serializeError(e) {
  if (!e) return null;
  const out = { name: e.name, message: e.message };
  for (const k of ["code", "status", "payload", "runtimeInfoStatus"]) if (e[k] !== undefined) out[k] = e[k];
  if (e.name === "ZodError" && e.issues) out.issues = e.issues;
  return out;
}

function normalizeMessages(list) {
  const msgs = (list || []).map((m) => ({ id: m.id || uuid(), ...m }));
  if (args.userMessage) msgs.push({ id: uuid(), role: "user", content: args.userMessage });
  return msgs;
}

// Parse recorded SSE bodies ("data: <json>\n\n" frames) and validate each frame with @ag-ui/core's zod
// EventSchemas. CopilotKitCore's ProxiedCopilotRuntimeAgent SILENTLY drops the rest of a stream on a
// schema error, so this is the only place such errors become visible in core-* scenarios.
function annotateSse(entry) {
  if (typeof entry.responseText !== "string" || !String(entry.responseContentType || "").includes("text/event-stream")) return;
  let EventSchemas;
  try {
    EventSchemas = require("@ag-ui/core").EventSchemas;
  } catch {}
  const frames = entry.responseText.split(/\n\n/).filter((f) => f.trim());
  entry.sseFrames = [];
  entry.schemaErrors = [];
  frames.forEach((f, i) => {
    const data = f
      .split("\n")
      .filter((l) => l.startsWith("data:"))
      .map((l) => l.slice(5).replace(/^ /, ""))
      .join("\n");
    let json;
    try {
      json = JSON.parse(data);
    } catch (e) {
      entry.schemaErrors.push({ frame: i, error: `invalid JSON: ${e.message}`, raw: f.slice(0, 300) });
      return;
    }
    entry.sseFrames.push(json);
    if (EventSchemas) {
      const r = EventSchemas.safeParse(json);
      if (!r.success) entry.schemaErrors.push({ frame: i, type: json && json.type, issues: r.error.issues });
    }
  });
  if (args.includeRawSse !== true) delete entry.responseText;
}

let printed = false;
async function finish(obj) {
  if (printed) return;
  printed = true;
  await Promise.race([Promise.allSettled(pendingCaptures), new Promise((r) => setTimeout(r, 300))]);
  for (const r of requests) {
    try {
      annotateSse(r);
    } catch {}
  }
  const schemaErrors = requests.flatMap((r) => (r.schemaErrors || []).map((e) => ({ url: r.url, ...e })));
  const out = { scenario, runtimeUrl, ...obj, schemaErrors, logs };
  if (schemaErrors.length) out.ok = false;
  if (args.includeRequests !== false) out.requests = requests;
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  process.exit(0);
}

setTimeout(() => finish({ ok: false, error: { name: "DriverTimeout", message: `timed out after ${timeoutMs}ms` }, partial: partialState() }), timeoutMs); // not unref'd: keeps a hung client from exiting silently
let partialState = () => null;

const clone = (x) => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));

function toolResultFor(name) {
  const tr = args.toolResults || {};
  const v = name in tr ? tr[name] : "*" in tr ? tr["*"] : (args.tools || []).find((t) => t.name === name)?.result;
  if (v === undefined) return JSON.stringify({ ok: true });
  return typeof v === "string" ? v : JSON.stringify(v);
}

// =====================================================================================
// @ag-ui/client scenarios
// =====================================================================================
async function aguiRun({ abort } = {}) {
  const { HttpAgent } = require("@ag-ui/client");
  const agent = new HttpAgent({
    url: `${runtimeUrl.replace(/\/$/, "")}/agent/${encodeURIComponent(agentId)}/${args.route || "run"}`,
    agentId,
    threadId: args.threadId,
    headers: args.headers || {},
    initialMessages: normalizeMessages(args.messages),
    initialState: args.state || {},
  });
  const events = [];
  const runs = [];
  const hookErrors = [];
  agent.subscribe({
    onEvent: ({ event }) => {
      events.push(clone(event));
    },
    onRunErrorEvent: ({ event }) => {
      hookErrors.push({ hook: "onRunErrorEvent", event: clone(event) });
    },
    onRunFailed: ({ error }) => {
      hookErrors.push({ hook: "onRunFailed", error: serializeError(error) });
    },
  });
  partialState = () => ({ events, messages: clone(agent.messages), state: clone(agent.state) });
  const tools = (args.tools || []).map((t) => ({
    name: t.name,
    description: t.description || "",
    parameters: t.parameters || { type: "object", properties: {} },
  }));
  const maxTurns = args.continue ? args.maxTurns ?? 3 : 1;
  let error = null;
  for (let turn = 0; turn < maxTurns; turn++) {
    let p;
    try {
      p = agent.runAgent({ tools, context: args.context || [], forwardedProps: args.forwardedProps || {}, ...(args.resume ? { resume: args.resume } : {}) });
      if (abort) {
        await new Promise((r) => setTimeout(r, args.stopAfterMs ?? 600));
        agent.abortRun();
      }
      const res = await p;
      runs.push({ turn, result: clone(res.result), newMessages: clone(res.newMessages) });
      if (!args.continue) break;
      // find frontend tool calls without results
      const frontend = new Set(tools.map((t) => t.name));
      const answered = new Set(agent.messages.filter((m) => m.role === "tool").map((m) => m.toolCallId));
      const pending = [];
      for (const m of res.newMessages)
        if (m.role === "assistant")
          for (const tc of m.toolCalls || []) if (frontend.has(tc.function.name) && !answered.has(tc.id)) pending.push(tc);
      if (pending.length === 0) break;
      for (const tc of pending)
        agent.addMessage({ id: uuid(), role: "tool", toolCallId: tc.id, content: toolResultFor(tc.function.name) });
    } catch (e) {
      error = serializeError(e);
      break;
    }
  }
  return {
    ok: !error,
    error,
    threadId: agent.threadId,
    events,
    runs,
    hookErrors,
    messages: clone(agent.messages),
    state: clone(agent.state),
  };
}

// =====================================================================================
// @copilotkit/core scenarios
// =====================================================================================
function jsonSchemaAsStandardSchema(schema) {
  // CopilotKitCore converts FrontendTool.parameters with schemaToJsonSchema(): a StandardSchemaV1 that
  // implements `~standard.jsonSchema.input()` is accepted as-is. This wraps a plain JSON schema.
  const s = schema || { type: "object", properties: {} };
  return {
    "~standard": {
      version: 1,
      vendor: "json-schema",
      validate: (value) => ({ value }),
      jsonSchema: { input: () => clone(s), output: () => clone(s) },
    },
  };
}

async function makeCore(defaultMode) {
  // CopilotKitCore skips the /info handshake (and so never creates runtime agents) when
  // `typeof window === "undefined"`. An empty object is enough: window.location is optional everywhere.
  if (typeof globalThis.window === "undefined") globalThis.window = {};
  const { CopilotKitCore } = require("@copilotkit/core");
  const toolCalls = [];
  const coreEvents = [];
  const errors = [];
  const tools = (args.tools || []).map((t) => ({
    name: t.name,
    description: t.description || "",
    parameters: jsonSchemaAsStandardSchema(t.parameters),
    ...(t.followUp !== undefined ? { followUp: t.followUp } : {}),
    ...(t.noHandler
      ? {}
      : {
          handler: async (toolArgs, ctx) => {
            toolCalls.push({ name: t.name, args: clone(toolArgs), toolCallId: ctx?.toolCall?.id });
            if (t.delayMs) await new Promise((r) => setTimeout(r, t.delayMs));
            if (t.error) throw new Error(t.error);
            return t.result !== undefined ? t.result : { ok: true, received: toolArgs };
          },
        }),
  }));
  const mode = args.mode || defaultMode || "auto";
  const ck = new CopilotKitCore({
    runtimeUrl,
    runtimeTransport: mode,
    headers: args.headers || {},
    properties: args.properties || {},
    tools,
  });
  ck.subscribe({
    onError: ({ error, code, context }) =>
      errors.push({ code, error: serializeError(error), context: clone(stripAgent(context)) }),
    onRuntimeConnectionStatusChanged: ({ status }) => coreEvents.push({ type: "runtimeStatus", status }),
    onToolExecutionStart: ({ toolCallId, toolName, args: a }) =>
      coreEvents.push({ type: "toolExecutionStart", toolCallId, toolName, args: clone(a) }),
    onToolExecutionEnd: ({ toolCallId, toolName, result, error }) =>
      coreEvents.push({ type: "toolExecutionEnd", toolCallId, toolName, result, error }),
  });
  for (const c of args.context || []) ck.addContext(c);
  // Wait for /info to settle.
  const t0 = Date.now();
  while (!["connected", "error"].includes(String(ck.runtimeConnectionStatus)) && Date.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const info = {
    status: ck.runtimeConnectionStatus,
    requestedTransport: mode,
    resolvedTransport: ck.runtimeTransport,
    runtimeVersion: ck.runtimeVersion,
    runtimeMode: ck.runtimeMode,
    threadEndpoints: ck.threadEndpoints,
    audioFileTranscriptionEnabled: ck.audioFileTranscriptionEnabled,
    agentIds: Object.keys(ck.agents),
  };
  return { ck, info, toolCalls, coreEvents, errors };
}

function stripAgent(ctx) {
  if (!ctx || typeof ctx !== "object") return ctx;
  const { agent, ...rest } = ctx;
  return rest;
}

function prepareAgent(ck) {
  const agent = ck.getAgent(agentId);
  if (!agent) return null;
  if (args.threadId) agent.threadId = args.threadId;
  const msgs = normalizeMessages(args.messages);
  if (msgs.length) agent.setMessages(msgs);
  if (args.state) agent.setState(args.state);
  return agent;
}

async function coreScenario(kind) {
  const { ck, info, toolCalls, coreEvents, errors } = await makeCore(kind === "single" ? "single" : "auto");
  const base = { info, toolCalls, coreEvents, errors };
  if (kind === "info") return { ok: info.status === "connected", ...base };
  if (info.status !== "connected") return { ok: false, error: { name: "RuntimeNotConnected", message: String(info.status) }, ...base };
  const agent = prepareAgent(ck);
  if (!agent) return { ok: false, error: { name: "AgentNotFound", message: agentId }, ...base };
  const events = [];
  agent.subscribe({ onEvent: ({ event }) => events.push(clone(event)) });
  partialState = () => ({ ...base, events, messages: clone(agent.messages), state: clone(agent.state) });
  let result;
  let error = null;
  const timing = {};
  try {
    if (kind === "connect") {
      result = await ck.connectAgent({ agent });
    } else if (kind === "stop") {
      const t0 = Date.now();
      const p = ck.runAgent({ agent, forwardedProps: args.forwardedProps || { slow: 5000 } });
      await new Promise((r) => setTimeout(r, args.stopAfterMs ?? 600));
      timing.stopCalledAtMs = Date.now() - t0;
      timing.isRunningBeforeStop = agent.isRunning;
      ck.stopAgent({ agent });
      result = await p;
      timing.runResolvedAtMs = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 100)); // let the fire-and-forget stop POST land
    } else {
      result = await ck.runAgent({ agent, forwardedProps: args.forwardedProps || {} });
    }
  } catch (e) {
    error = serializeError(e);
  }
  const warnings = [];
  if (kind !== "connect" && !events.some((e) => e.type === "RUN_FINISHED" || e.type === "RUN_ERROR"))
    warnings.push("no RUN_FINISHED/RUN_ERROR reached the agent (core swallows ZodError/AbortError silently; see schemaErrors)");
  return {
    ok: !error && errors.length === 0 && warnings.length === 0,
    error,
    warnings,
    ...base,
    timing,
    threadId: agent.threadId,
    isRunning: agent.isRunning,
    events,
    result: result && { result: clone(result.result), newMessages: clone(result.newMessages) },
    messages: clone(agent.messages),
    state: clone(agent.state),
  };
}

// core-next-at-end: CopilotKitCore.runAgent (transport jsonArgs.mode: "rest" or "single"); in the very
// callback that delivers the run's RUN_FINISHED / RUN_ERROR, with no await before it, POST the thread's
// next run through the same transport (as a client retrying an error, or core's automatic follow-up).
// Reports the first run as core-run does, plus `next`: {status, body (JSON error) | sseTypes, atEvent}.
async function coreNextAtEnd() {
  const { ck, info, toolCalls, coreEvents, errors } = await makeCore(args.mode || "rest");
  const base = { info, toolCalls, coreEvents, errors };
  if (info.status !== "connected") return { ok: false, error: { name: "RuntimeNotConnected", message: String(info.status) }, ...base };
  const agent = prepareAgent(ck);
  if (!agent) return { ok: false, error: { name: "AgentNotFound", message: agentId }, ...base };
  const events = [];
  let next = null;
  const startNext = (terminal) => {
    const input = {
      threadId: agent.threadId,
      runId: uuid(),
      state: {},
      messages: [...clone(agent.messages), { id: uuid(), role: "user", content: args.nextMessage || "again" }],
      tools: [],
      context: [],
      forwardedProps: {},
    };
    const single = ck.runtimeTransport === "single";
    const url = single ? runtimeUrl : `${runtimeUrl.replace(/\/$/, "")}/agent/${encodeURIComponent(agentId)}/run`;
    const body = single ? { method: "agent/run", params: { agentId }, body: input } : input;
    const headers = { "content-type": "application/json", accept: "text/event-stream", ...(args.headers || {}) };
    next = fetch(url, { method: "POST", headers, body: JSON.stringify(body) }).then(async (res) => {
      const text = await res.text();
      const out = { status: res.status, atEvent: terminal, transport: single ? "single" : "rest" };
      if (String(res.headers.get("content-type") || "").includes("text/event-stream"))
        out.sseTypes = text
          .split(/\n\n/)
          .filter((f) => f.trim())
          .map((f) => {
            try {
              return JSON.parse(f.replace(/^data: ?/m, "")).type;
            } catch {
              return "unparsed";
            }
          });
      else {
        try {
          out.body = JSON.parse(text);
        } catch {
          out.body = text;
        }
      }
      return out;
    });
  };
  agent.subscribe({
    onEvent: ({ event }) => {
      events.push(clone(event));
      if (!next && (event.type === "RUN_FINISHED" || event.type === "RUN_ERROR")) startNext(event.type);
    },
  });
  partialState = () => ({ ...base, events, messages: clone(agent.messages) });
  let error = null;
  try {
    await ck.runAgent({ agent, forwardedProps: args.forwardedProps || {} });
  } catch (e) {
    error = serializeError(e);
  }
  const nextResult = next ? await next : null;
  return { ok: nextResult !== null, error, ...base, threadId: agent.threadId, events, messages: clone(agent.messages), next: nextResult };
}

// Reads runtime resources the way core's own stores do: through `ɵruntimeFetch`, which turns them into a
// `resource/request` envelope in single-route mode, and which takes any non-2xx answer as a sign the
// runtime may be gone and probes it again (`probedRuntime`: a probe started on that answer).
async function coreResources() {
  const { ck, info, coreEvents, errors } = await makeCore(args.mode === "single" ? "single" : "auto");
  const base = { info, coreEvents, errors };
  if (info.status !== "connected") return { ok: false, error: { name: "RuntimeNotConnected", message: String(info.status) }, ...base };
  const registry = ck.agentRegistry;
  const reads = [];
  for (const path of args.paths || []) {
    const sent = requests.length;
    const response = await ck.ɵruntimeFetch(`${runtimeUrl.replace(/\/$/, "")}${path}`, { method: "GET", headers: args.headers || {} });
    const probedRuntime = registry.runtimeProbeInFlight === true; // set synchronously when a probe starts
    const text = await response.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {}
    const request = requests[sent] || {};
    reads.push({
      path,
      status: response.status,
      contentType: response.headers.get("content-type"),
      body,
      sentAs: { method: request.method, url: request.url, body: request.body },
      probedRuntime,
    });
    const t0 = Date.now();
    while (registry.runtimeProbeInFlight && Date.now() - t0 < timeoutMs) await new Promise((r) => setTimeout(r, 10));
  }
  return { ok: errors.length === 0, ...base, reads, runtimeStatus: ck.runtimeConnectionStatus };
}

const scenarios = {
  "agui-run": () => aguiRun(),
  "agui-abort": () => aguiRun({ abort: true }),
  "core-info": () => coreScenario("info"),
  "core-run": () => coreScenario("run"),
  "core-single": () => coreScenario("single"),
  "core-connect": () => coreScenario("connect"),
  "core-stop": () => coreScenario("stop"),
  "core-next-at-end": () => coreNextAtEnd(),
  "core-resources": () => coreResources(),
};

(async () => {
  const fn = scenarios[scenario];
  if (!fn) return finish({ ok: false, error: { name: "UnknownScenario", message: `known: ${Object.keys(scenarios).join(", ")}` } });
  try {
    finish(await fn());
  } catch (e) {
    finish({ ok: false, error: serializeError(e), partial: partialState() });
  }
})();
