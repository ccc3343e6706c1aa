/**
 * Where non-paging notifications go: one Datadog Slack integration channel per owners' channel,
 * declared, so every `@slack-<account>-<channel>` handle a monitor message carries exists (and a
 * channel unknown to the Slack integration fails the deploy instead of dropping notifications).
 */
import * as datadog from "@pulumi/datadog";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/schema";
import { slackHandle } from "../observability/naming";

export class NotificationChannels extends pulumi.ComponentResource {
  /** Per Slack channel (`#orders-prod`): its declared integration channel. */
  readonly slack: Record<string, datadog.slack.Channel> = {};

  constructor(name: string, args: { cfg: StackConfig }, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:monitoring:NotificationChannels", name, {}, opts);
    const account = args.cfg.observability.slackAccount;
    for (const channel of [...new Set(args.cfg.services.map((s) => s.monitoring.owners.slackChannel))]) {
      this.slack[channel] = new datadog.slack.Channel(
        `${name}-${channel.slice(1)}`,
        { accountName: account, channelName: channel, display: { message: true, notified: true, snapshot: true, tags: true } },
        { parent: this },
      );
    }
    this.registerOutputs({ handles: Object.keys(this.slack).map((c) => slackHandle(args.cfg, c)) });
  }
}
