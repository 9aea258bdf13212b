// Starts the fauxqs SQS/SNS emulator on the loopback interface only.
//
//   node fauxqs-server.mjs            (run by eng/brokers/aws.sh from the directory fauxqs is installed in)
//
// fauxqs's own command-line launcher listens on every interface (0.0.0.0); the tests need it on 127.0.0.1 alone, so
// this builds the same application with its buildApp() and listens here. FAUXQS_PORT (default 4566) and
// FAUXQS_DEFAULT_REGION (default us-east-1) configure it; queue URLs name the host the client used.
import { buildApp } from "fauxqs";

const port = Number.parseInt(process.env.FAUXQS_PORT ?? "4566", 10);
const defaultRegion = process.env.FAUXQS_DEFAULT_REGION ?? "us-east-1";
const app = buildApp({ logger: process.env.FAUXQS_LOGGER === "true", defaultRegion });

try {
  const address = await app.listen({ port, host: "127.0.0.1" });
  console.log(`fauxqs listening on ${address} (region ${defaultRegion})`);
} catch (error) {
  console.error(`fauxqs could not listen on 127.0.0.1:${port}: ${error.message}`);
  process.exit(1);
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    app.close().finally(() => process.exit(0));
  });
}
