/** Shared shape of the per-rule cases: a fixture, one mutation, the exact message(s) expected. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { Fixture } from "./fixtures";

export interface ResourceCase {
  policy: ResourceValidationPolicy;
  label?: string;
  fixture: string;
  mutate: (props: Record<string, unknown>) => Record<string, unknown>;
  expected: string[];
  config?: Record<string, unknown>;
}

export interface StackCase {
  policy: StackValidationPolicy;
  mutate: (fs: Record<string, Fixture>) => Record<string, Fixture>;
  expected: Array<{ message: string; urn: string }>;
  config?: Record<string, unknown>;
  label?: string;
}

export function without(fs: Record<string, Fixture>, ...keys: string[]): Record<string, Fixture> {
  return Object.fromEntries(Object.entries(fs).filter(([k]) => !keys.includes(k)));
}

export function patch(fs: Record<string, Fixture>, key: string, props: Record<string, unknown>): Record<string, Fixture> {
  return { ...fs, [key]: { ...fs[key]!, props: { ...fs[key]!.props, ...props } } };
}

export function add(fs: Record<string, Fixture>, ...items: Fixture[]): Record<string, Fixture> {
  return { ...fs, ...Object.fromEntries(items.map((f) => [f.name, f])) };
}
