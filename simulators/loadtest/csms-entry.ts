// Child-process entry of the CSMS simulator for `--upstream` runs: started by csms-child.ts with its options as JSON
// in argv[2], it says where it listens over IPC, answers stats queries, and stops on request or when the driver goes.
import { startCsmsSimulator, type CsmsSimulatorOptionsInput } from '../csms';
import type { CsmsChildReply, CsmsChildRequest } from './csms-child';

async function main(): Promise<void> {
  const send = (reply: CsmsChildReply): void => void process.send?.(reply);
  const options = JSON.parse(process.argv[2] ?? '{}') as CsmsSimulatorOptionsInput;
  const csms = await startCsmsSimulator(options);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await csms.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (request: CsmsChildRequest) => {
    if (request.type === 'stop') void stop();
    else if (request.type === 'stats')
      send({ type: 'stats', id: request.id, framesTotal: csms.frames.total, connected: csms.connectedStations().length });
  });
  // The driver died or closed the channel: nothing is left to serve.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({ type: 'ready', url: csms.url });
}

main().catch((error: unknown) => {
  process.stderr.write(`csms child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
