// Makes calls with the official AWS SDK for JavaScript v3, for the tests to compare with and to interoperate with.
//
//   node aws-sdk-calls.cjs <tools-dir> <endpoint>  < calls.json
//
// calls.json: [{ "client": "sns" | "sqs" | "eventbridge", "command": "PublishCommand", "input": { ... } }, ...]. Each call is made once
// (no retries) with fixed dummy credentials in us-east-1; one JSON line per call is printed: { "ok": true, "output" }
// or { "ok": false, "error" }. The SDK is loaded from <tools-dir> (where eng/brokers/aws.sh installs it).
const { createRequire } = require("node:module");
const path = require("node:path");

const [toolsDir, endpoint] = process.argv.slice(2);
const load = createRequire(path.join(toolsDir, "node_modules", "noop.js"));
const sdks = { sns: load("@aws-sdk/client-sns"), sqs: load("@aws-sdk/client-sqs"), eventbridge: load("@aws-sdk/client-eventbridge") };
const clientNames = { sns: "SNSClient", sqs: "SQSClient", eventbridge: "EventBridgeClient" };

async function main() {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  const calls = JSON.parse(text);
  const clients = {};
  for (const call of calls) {
    const sdk = sdks[call.client];
    clients[call.client] ??= new sdk[clientNames[call.client]]({
      endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "SECRETEXAMPLE" },
      maxAttempts: 1,
    });
    // JSON cannot carry dates: a "Time" given as an ISO string becomes a Date, as an application would pass it.
    for (const entry of call.input.Entries ?? []) {
      if (typeof entry.Time === "string") entry.Time = new Date(entry.Time);
    }
    try {
      const output = await clients[call.client].send(new sdk[call.command](call.input));
      delete output.$metadata;
      console.log(JSON.stringify({ ok: true, output }));
    } catch (error) {
      console.log(JSON.stringify({ ok: false, error: `${error.name}: ${error.message}` }));
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
