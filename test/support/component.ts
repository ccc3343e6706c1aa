/**
 * Records one component on its own under Pulumi's mock runtime (the same recording monitor and
 * offline mocks as the preview), so each component is tested with its narrow inputs, apart from
 * the whole stack. One recording per test file: the Pulumi runtime is global to the process.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DeploymentResource } from "../../infra/preview/deployment";
import { OfflineMocks } from "../../infra/preview/mocks";
import { waitForRPCs } from "../../infra/preview/record";
import { RecordingMonitor } from "../../infra/preview/recorder";

export async function recordComponent(declare: () => void, stack = "unit", region = "eu-central-1"): Promise<DeploymentResource[]> {
  pulumi.runtime.setAllConfig({ "aws:region": region }, []);
  const monitor = new RecordingMonitor(new OfflineMocks(region), "backend-release", stack);
  pulumi.runtime.setMockOptions(monitor, "backend-release", stack, true, "organization");
  await pulumi.runtime.runInPulumiStack(async () => {
    declare();
    return {};
  });
  await waitForRPCs();
  await monitor.settled();
  return [...monitor.records.values()];
}
