// The Pulumi program's entry (Pulumi.yaml `main`). Kept thin: everything is in ./stack.ts.
import { declareStack } from "./stack";

export = declareStack();
