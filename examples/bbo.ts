/**
 * Print Paradex best bid/offer updates through the sidecar, then shut it down.
 *
 *   pip install paradex-ws-service paradex-sim   # the sidecar (`paradex-ws` on PATH) and its simulator
 *   npm install @paradex-edgex/paradex
 *   npx tsc && node dist/bbo.js [count] [network]  # network: sim (default, embedded simulator), testnet, prod
 */
import { ParadexSidecar, type BboEvent } from "@paradex-edgex/paradex";

const count = Number(process.argv[2] ?? 10);
const network = (process.argv[3] ?? "sim") as "sim" | "testnet" | "prod";

const sidecar = new ParadexSidecar({
  network,
  markets: ["BTC-USD-PERP", "ETH-USD-PERP"],
  channels: ["bbo"],
  // The first start after `pip install` compiles paradex-py's modules: allow more than the 15 s default.
  helloTimeoutMs: 60_000,
});
sidecar.on("error", (e) => console.error(`error ${e.code}: ${e.message}`));

const hello = await sidecar.start();
console.log(`hello pid=${hello.pid} protocol=${hello.protocol} env=${hello.env}`);

let seen = 0;
for await (const e of sidecar.iterate("bbo")) {
  const bbo: BboEvent = e;
  console.log(`bbo ${bbo.market} ${bbo.bid ?? "-"} / ${bbo.ask ?? "-"}`);
  if (++seen >= count) break;
}
await sidecar.close();
console.log("closed");
