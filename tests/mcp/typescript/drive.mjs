// Drive bctrl-mcp with the official TypeScript MCP SDK, as most desktop hosts embed it.
//
//   node drive.mjs PLAN.json
//
// The plan (written by tests/mcp/test_typescript_client.py) names servers, each reached
// over stdio (spawned here) or streamable HTTP (already running), and the tool calls to
// make on each. One JSON line per event goes to stdout:
//   {"server", "event": "tools", "tools": [names]}
//   {"server", "event": "call", "label", "tool", "threw": null | message,
//    "isError", "text", "structured"}
// A call the SDK throws on is reported, never fatal: the test reads every line and
// fails on any "threw". Only a server that cannot be reached at all exits non-zero.

import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));

function transportFor(server) {
  if (server.stdio) {
    const { command, args, env, cwd } = server.stdio;
    return new StdioClientTransport({ command, args, env, cwd, stderr: "inherit" });
  }
  const headers = server.http.token ? { Authorization: `Bearer ${server.http.token}` } : {};
  return new StreamableHTTPClientTransport(new URL(server.http.url), {
    requestInit: { headers },
  });
}

function emit(record) {
  process.stdout.write(JSON.stringify(record) + "\n");
}

function textOf(result) {
  return (result.content ?? [])
    .filter((block) => block.type === "text")
    .map((block) => block.text)
    .join("\n");
}

async function drive(server) {
  const client = new Client({ name: "bctrl-ts-sdk-test", version: "1.0.0" });
  await client.connect(transportFor(server));
  try {
    // listTools also caches each tool's outputSchema, which callTool then enforces.
    const { tools } = await client.listTools();
    emit({ server: server.name, event: "tools", tools: tools.map((tool) => tool.name) });
    for (const call of server.calls) {
      const record = { server: server.name, event: "call", label: call.label, tool: call.tool };
      try {
        const result = await client.callTool({ name: call.tool, arguments: call.arguments });
        emit({
          ...record,
          threw: null,
          isError: result.isError === true,
          text: textOf(result),
          structured: result.structuredContent ?? null,
        });
      } catch (error) {
        emit({ ...record, threw: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    await client.close();
  }
}

for (const server of plan.servers) {
  await drive(server);
}
