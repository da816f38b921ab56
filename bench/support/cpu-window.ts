/** A CPU snapshot of the machine, the load generator (this process), the gateway and the SMSC simulator. */
import type { GatewayProcess } from './gateway-process.ts';
import type { SmscProcess } from './smsc-process.ts';
import { machineCpu, ownCpuMicros, type CpuSnapshot } from './stats.ts';

export async function cpuSnapshot(gateway: GatewayProcess, sim: SmscProcess): Promise<CpuSnapshot> {
  const [gatewayMicros, simMicros] = await Promise.all([gateway.cpuMicros(), sim.cpuMicros()]);
  const machine = machineCpu();
  return {
    at: Date.now(),
    machineBusyMs: machine.busyMs,
    machineTotalMs: machine.totalMs,
    processes: { gateway: gatewayMicros, 'load generator': ownCpuMicros(), 'SMSC simulator': simMicros },
  };
}
