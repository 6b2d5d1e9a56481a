import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a child process ended, and what it printed.
package struct ProcessResult: CustomStringConvertible {
    package var status: Int32
    package var signaled: Bool
    package var timedOut: Bool
    package var stdoutData: Data
    package var stderrData: Data
    package var elapsed: TimeInterval

    package var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    package var stderr: String { String(decoding: stderrData, as: UTF8.self) }

    /// The exit code, or 128 + signal when killed by a signal, or -1 on timeout.
    package var exitCode: Int32 { timedOut ? -1 : signaled ? 128 + status : status }

    package var description: String {
        "exit \(status)\(signaled ? " (signal)" : "")\(timedOut ? " (TIMED OUT)" : "") after \(String(format: "%.2f", elapsed))s\n"
            + "--- stdout ---\n\(stdout.prefix(3000))\n--- stderr ---\n\(stderr.prefix(3000))"
    }
}

/// A started child process whose stdout and stderr go to files (no pipe can fill up) and
/// whose stdin is a file, /dev/null, or a pipe the test keeps open. `CONSENTRY_DB` is removed
/// from its environment unless `environment` sets it.
package final class Child {
    package let process = Process()
    package let stdinPipe: Pipe?
    private let outURL: URL
    private let errURL: URL
    private let started = Date()

    package var pid: Int32 { process.processIdentifier }
    package var isRunning: Bool { process.isRunning }

    package init(executable: String, _ arguments: [String], stdinFile: String? = nil, keepStdinOpen: Bool = false,
                 environment: [String: String] = [:], directory: String? = nil) throws {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-child-\(getpid())-\(UUID().uuidString.prefix(8))")
        outURL = scratch.appendingPathExtension("stdout")
        errURL = scratch.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["CONSENTRY_DB"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if keepStdinOpen {
            let pipe = Pipe()
            stdinPipe = pipe
            process.standardInput = pipe
        } else {
            stdinPipe = nil
            if let stdinFile {
                process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: stdinFile))
            } else {
                process.standardInput = FileHandle.nullDevice
            }
        }
        try process.run()
    }

    /// Writes to the child's stdin pipe.
    package func send(_ data: Data) {
        stdinPipe?.fileHandleForWriting.write(data)
    }

    package func send(_ text: String) { send(Data(text.utf8)) }

    /// Closes the child's stdin pipe (end of input).
    package func closeStdin() {
        try? stdinPipe?.fileHandleForWriting.close()
    }

    package func signal(_ sig: Int32) {
        kill(process.processIdentifier, sig)
    }

    /// Waits up to `timeout` seconds; returns nil while still running.
    package func wait(upTo timeout: TimeInterval) -> ProcessResult? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning {
            if Date() >= deadline { return nil }
            usleep(5_000)
        }
        return result(timedOut: false)
    }

    /// Waits for the child, killing it (and reporting a timeout) after `timeout` seconds.
    package func finish(timeout: TimeInterval = 60) -> ProcessResult {
        if let r = wait(upTo: timeout) { return r }
        kill(process.processIdentifier, SIGKILL)
        closeStdin()
        process.waitUntilExit()
        return result(timedOut: true)
    }

    private func result(timedOut: Bool) -> ProcessResult {
        process.waitUntilExit()
        let out = (try? Data(contentsOf: outURL)) ?? Data()
        let err = (try? Data(contentsOf: errURL)) ?? Data()
        return ProcessResult(
            status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, stdoutData: out, stderrData: err, elapsed: Date().timeIntervalSince(started))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            closeStdin()
            process.waitUntilExit()
        }
        closeStdin()
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
}

/// Runs a program to completion with `stdin` (bytes written to a temp file first), killing it
/// after `timeout` seconds so that a hang fails the test.
package func runProgram(_ executable: String, _ arguments: [String], stdin: Data? = nil,
                        environment: [String: String] = [:], directory: String? = nil,
                        timeout: TimeInterval = 60) throws -> ProcessResult {
    var stdinFile: String? = nil
    if let stdin {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("consentry-child-in-\(getpid())-\(UUID().uuidString.prefix(8))")
        try stdin.write(to: url)
        stdinFile = url.path
    }
    defer { if let stdinFile { try? FileManager.default.removeItem(atPath: stdinFile) } }
    let child = try Child(executable: executable, arguments, stdinFile: stdinFile, environment: environment,
                          directory: directory)
    return child.finish(timeout: timeout)
}

/// Runs a program that must succeed (exit 0 within `timeout`) and returns its standard output.
package func runTool(_ executable: String, _ arguments: [String], stdin: Data? = nil,
                     timeout: TimeInterval = 60) throws -> Data {
    let r = try runProgram(executable, arguments, stdin: stdin, timeout: timeout)
    guard r.exitCode == 0 else {
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed: \(r)")
    }
    return r.stdoutData
}

/// Polls `condition` every 20 ms for up to `timeout` seconds.
package func eventually(timeout: TimeInterval = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    repeat {
        if try condition() { return true }
        usleep(20_000)
    } while Date() < deadline
    return false
}
