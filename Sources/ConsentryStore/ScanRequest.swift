import ConsentryEngine
import ConsentryModel
import Foundation
import Logging

/// Everything one `consentry scan` needs.
public struct ScanRequest: Sendable {
    public var inputs: [String]
    public var policies: [Policy]
    public var databasePath: String
    public var store: StoreMode = .all
    public var input = InputOptions()
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    public var waitLock: Double = 0
    /// The first this many rejects of each input and code are stored; nil keeps all.
    public var keepRejects: Int? = 1000
    /// Where spill files go; nil: beside the database.
    public var temporaryDirectory: String?
    public var toolVersion: String = ConsentryVersion.current
    public var commandLine: String = ""
    /// Run lifecycle at `info` (start, each input, completion or failure), recovery at `notice`.
    public var logger = Logger(label: "consentry")

    public init(inputs: [String], policies: [Policy], databasePath: String) {
        self.inputs = inputs
        self.policies = policies
        self.databasePath = databasePath
    }
}
