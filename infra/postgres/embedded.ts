export * from "../../backend/src/testing/embedded-postgres";
