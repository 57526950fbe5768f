import os from "node:os";
import { admin } from "./database";

/** What the numbers were measured on. */
export interface Machine {
  cores: number;
  cpu: string;
  memory_gb: number;
  node: string;
  postgres: string;
  platform: string;
}

export async function describeMachine(): Promise<Machine> {
  const [{ version }] = await admin<{ version: string }>("SELECT version()");
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    postgres: version,
    platform: `${os.platform()} ${os.release()}`,
  };
}
