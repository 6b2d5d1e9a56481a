import ArgumentParser
import Logging
import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `--log-level` for the commands that write to the database.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"),
            help: "Log messages on standard error from this level up: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    /// Installs the stderr handler once and returns the command's logger.
    func makeLogger() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = ConsoleLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "consentry")
    }
}
