import ConsentryModel
import ConsentryEngine
import ConsentryStore
import ConsentryReports
import Foundation

/// A one-line progress display on standard error, redrawn twice a second.
///
/// On a terminal the line is rewritten in place; with `--progress always` and no terminal
/// it prints a plain line every 10 seconds, so logs stay readable.
final class ProgressDisplay {
    private let progress: ScanProgress
    private let timer: DispatchSourceTimer
    private let onTerminal: Bool
    private var ticks = 0

    init(progress: ScanProgress, onTerminal: Bool) {
        self.progress = progress
        self.onTerminal = onTerminal
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "consentry.progress"))
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
    }

    static func megabytes(_ n: Int) -> String { String(format: "%.1f MB", Double(n) / 1_000_000) }

    static func line(_ s: ScanProgress.Snapshot) -> String {
        var text = "consentry: \(megabytes(s.bytesRead))"
        if let total = s.bytesTotal, total > 0 {
            text += " of \(megabytes(total)) (\(Int(Double(s.bytesRead) * 100 / Double(total)))%)"
        }
        let rate = s.elapsed > 0 ? Double(s.rowsRead) / s.elapsed : 0
        text += String(format: " · %.0f tracks/s · %d rows · %d rejects", rate, s.rowsRead, s.rowsRejected)
        if let total = s.bytesTotal, total > 0, s.bytesRead > 0, s.bytesRead < total {
            let remaining = s.elapsed * Double(total - s.bytesRead) / Double(s.bytesRead)
            text += String(format: " · ETA %.0fs", remaining)
        }
        return text
    }

    private func tick() {
        ticks += 1
        let text = ProgressDisplay.line(progress.snapshot())
        if onTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        } else if ticks % 20 == 0 {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// Stops the display and clears the line.
    func stop() {
        timer.cancel()
        if onTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
