// Drives the real @copilotkit/runtime-client-gql 1.10.6 (CommonJS build) against a runtime URL.
// Usage: node driver.cjs <url> <command> [json-args]; prints one JSON document on stdout.
// json-args may carry `headers` and `publicApiKey`, given to the client as a frontend would.
"use strict";
const { CopilotRuntimeClient, convertGqlOutputToMessages } = require("@copilotkit/runtime-client-gql");

function describeError(error) {
  if (!error) return null;
  return {
    message: error.message,
    graphQLErrors: (error.graphQLErrors || []).map((e) => ({ message: e.message, extensions: e.extensions })),
    networkError: error.networkError ? String(error.networkError.message || error.networkError) : null,
  };
}

async function main() {
  const [url, command, rawArgs] = process.argv.slice(2);
  const args = rawArgs ? JSON.parse(rawArgs) : {};
  const warnings = [];
  const client = new CopilotRuntimeClient({
    url,
    headers: args.headers,
    publicApiKey: args.publicApiKey,
    handleGQLWarning: (warning) => warnings.push(String(warning)),
  });
  let result;
  if (command === "availableAgents") {
    result = await client.availableAgents().toPromise();
  } else if (command === "loadAgentState") {
    result = await client.loadAgentState({ threadId: args.threadId, agentName: args.agentName }).toPromise();
  } else if (command === "generate") {
    process.stdout.write(JSON.stringify({ ...(await generate(client, args)), warnings }));
    return;
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify({ data: result.data ?? null, error: describeError(result.error), warnings }));
}

// One chat request read the way react-core reads it: asStream, one merged snapshot per payload.
async function generate(client, args) {
  const controller = new AbortController();
  const gqlErrors = [];
  client.handleGQLErrors = (error) => gqlErrors.push(describeError(error));
  const source = client.generateCopilotResponse({
    data: args.data,
    properties: args.properties || {},
    signal: controller.signal,
  });
  const reader = client.asStream(source).getReader();
  let last = null;
  let reads = 0;
  let firstContentAt = null;
  let abortedAt = null;
  let streamError = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads += 1;
      last = value;
      const messages = (value && value.generateCopilotResponse && value.generateCopilotResponse.messages) || [];
      const started = messages.some((m) => (m.content && m.content.length) || (m.arguments && m.arguments.length));
      if (started && firstContentAt === null) {
        firstContentAt = Date.now();
        if (args.abortAfterFirstContent) {
          controller.abort();
          abortedAt = Date.now();
          break;
        }
      }
    }
  } catch (error) {
    streamError = describeError(error);
  }
  if (abortedAt !== null) await new Promise((resolve) => setTimeout(resolve, 300));
  const response = last && last.generateCopilotResponse;
  const messages = response ? convertGqlOutputToMessages(response.messages) : [];
  return {
    data: last,
    reads,
    firstContentAt,
    abortedAt,
    error: streamError,
    gqlErrors,
    messages: messages.map((m) => {
      const { createdAt, ...fields } = m;
      return { kind: m.constructor.name, ...fields };
    }),
  };
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
