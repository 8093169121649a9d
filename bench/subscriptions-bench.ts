// The subscription benchmarks together: fan-out of one log stream to 1,000–10,000 WebSocket
// subscribers on one gateway against a bare `ws` broadcast, then a node's line to subscribers on two
// other gateways. Markdown on stdout, progress on stderr.
//
//   node --import tsx bench/subscriptions-bench.ts
import { crossGatewayBench, crossMarkdown, defaultCrossOptions } from './subscriptions-cross.ts';
import { fanoutBench, fanoutMarkdown } from './subscriptions-fanout.ts';
import { machine, machineMarkdown } from './machine.ts';
import { isMain, progress, runMain } from './support/main.ts';

export async function subscriptionsBench(): Promise<string> {
  progress('subscriptions: fan-out');
  const fanout = await fanoutBench();
  progress('subscriptions: across gateways');
  const cross = [
    await crossGatewayBench(defaultCrossOptions('statement')),
    await crossGatewayBench(defaultCrossOptions('appender')),
  ];
  return [fanoutMarkdown(fanout), '', crossMarkdown(cross)].join('\n');
}

if (isMain(import.meta.url)) {
  await runMain(async () => {
    const started = new Date();
    const host = machineMarkdown(await machine());
    const results = await subscriptionsBench();
    const minutes = (Date.now() - started.getTime()) / 60_000;
    return [
      `## Subscriptions, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC (${minutes.toFixed(1)} min)`,
      '',
      host,
      '',
      results,
    ].join('\n');
  });
}
