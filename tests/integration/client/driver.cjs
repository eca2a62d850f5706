// Drives the real @copilotkit/runtime-client-gql 1.10.6 (CommonJS build) against a runtime URL.
// Usage: node driver.cjs <url> <command> [json-args]; prints one JSON document on stdout.
"use strict";
const { CopilotRuntimeClient } = require("@copilotkit/runtime-client-gql");

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
    handleGQLWarning: (warning) => warnings.push(String(warning)),
  });
  let result;
  if (command === "availableAgents") {
    result = await client.availableAgents().toPromise();
  } else if (command === "loadAgentState") {
    result = await client.loadAgentState(args).toPromise();
  } else {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify({ data: result.data ?? null, error: describeError(result.error), warnings }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
