import winston from "winston";

/** Options of the root logger. */
export interface LogOptions {
  format: "json" | "text";
  level: string;
}

/** The one root logger; components use logger.child({ component, namespace, deployment }). */
export function createLogger(o: LogOptions): winston.Logger {
  const format =
    o.format === "json"
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp({ format: "HH:mm:ss.SSS" }),
          winston.format.printf(({ timestamp, level, message, ...rest }) => {
            const fields = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
            return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${fields}`;
          }),
        );
  return winston.createLogger({
    level: o.level,
    format,
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn", "info", "debug"] })],
  });
}
