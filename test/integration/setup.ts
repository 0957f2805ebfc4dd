import { jest } from "@jest/globals";

// Integration tests wait on real watch events (each wait carries its own, tighter bound).
jest.setTimeout(120_000);
