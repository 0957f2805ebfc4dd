import winston from "winston";

/** A logger that writes nothing (tests assert behaviour, not log text). */
export const silentLogger = (): winston.Logger => winston.createLogger({ silent: true });
