import ArgumentParser
import ConsentryModel
import ConsentryStore
import Foundation
import ConsentryEngine
import ConsentryReports

/// The command line's entry point: parses the arguments, runs the command, and turns its
/// outcome into the process's exit status.
///
/// This is the one place that maps errors to exit codes (``exitCode(for:)``); commands throw
/// and never exit themselves.
public enum ConsentryCLI {
    /// Runs the command `arguments` name (nil: the process's own arguments) and exits.
    public static func main(_ arguments: [String]? = nil) -> Never {
        if arguments == nil && CommandLine.argc == 0 {
            // The Swift runtime reads a statically linked program's arguments from /proc/self;
            // without /proc (a bare chroot or sandbox) it finds none, and parsing nothing would
            // print the help and exit 0 as if the job had run.
            report(UsageError("no_command_line", "cannot read the command line: /proc is not mounted here",
                              remedy: "run consentry where /proc is mounted (every container runtime mounts it)"))
            exit(2)
        }
        let command: ParsableCommand
        do {
            command = try Consentry.parseAsRoot(arguments)
        } catch {
            // Help, version and usage errors: the argument parser prints them and exits 0 or 64.
            Consentry.exit(withError: error)
        }
        do {
            var command = command
            try command.run()
            exit(0)
        } catch let error as any ConsentryError {
            report(error)
            exit(exitCode(for: error))
        } catch {
            // Validation errors thrown from `run` and anything unforeseen.
            Consentry.exit(withError: error)
        }
    }

    /// The exit status for an error a command threw.
    static func exitCode(for error: any ConsentryError) -> Int32 {
        switch error {
        case let interrupted as ScanInterrupted: return interrupted.signal == SIGTERM ? 143 : 130
        case let store as StoreError: return store.kind == .locked ? 75 : 2
        case is PolicyError: return 64
        case is UsageError: return 64
        case is UnmetExpectation: return 1
        default: return 2
        }
    }

    /// Prints `consentry: error: FILE:LINE: what; what to do [code]`, then its cause. A message
    /// may quote the input (a header's names, a value), so its control characters are shown
    /// (``VisibleText``), never sent to the terminal.
    static func report(_ error: any ConsentryError) {
        var text: String
        if let unmet = error as? UnmetExpectation {
            text = unmet.lines.map { "consentry: \(unmet.label): \(VisibleText.of($0))\n" }.joined()
        } else {
            text = "consentry: error: \(VisibleText.of(error.description)) [\(error.code)]\n"
            if let cause = error.underlying {
                text += "consentry: caused by: \(VisibleText.of("\(cause)"))\n"
            }
            if let file = error.file, !file.hasPrefix("/"), file != "-", let problem = workingDirectoryProblem() {
                text += "consentry: note: \(file) is relative to the working directory, but \(problem); "
                    + "cd to a directory this user can read, or give absolute paths\n"
            }
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Why relative paths cannot be resolved from the working directory (a cron job or
    /// `su` left in a directory this user may not search, or one that was removed), or nil.
    static func workingDirectoryProblem() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else {
            return "the working directory cannot be found (\(String(cString: strerror(errno))); was it removed?)"
        }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard access(".", X_OK) != 0 else { return nil }
        return "this user may not search the working directory \(cwd) (\(String(cString: strerror(errno))))"
    }
}

/// A usage problem found after the arguments were parsed (exit 64).
struct UsageError: ConsentryError {
    let code: String
    let message: String
    let remedy: String?
    let file: String?
    let line: Int? = nil

    init(_ code: String, _ message: String, remedy: String? = nil, file: String? = nil) {
        self.code = code
        self.message = message
        self.remedy = remedy
        self.file = file
    }
}

/// A command that did its work but whose result the user asked to fail on: a threshold was
/// crossed, or a policy test failed (exit 1).
struct UnmetExpectation: ConsentryError {
    let code: String
    /// How each line is introduced: `threshold`, or `policy test`.
    let label: String
    let lines: [String]
    var message: String { lines.joined(separator: "; ") }
    var file: String? { nil }
    var line: Int? { nil }
}

/// Standard output and warnings on standard error.
enum Output {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("consentry: warning: \(VisibleText.of(text))\n".utf8))
    }
}
