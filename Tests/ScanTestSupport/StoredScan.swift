import ConsentryEngine
import ConsentryModel
import ConsentryStore
import Foundation

// Scans into a results database through the library entry point, for the store and report
// tests.

/// Runs one `consentry scan` through `Scanner.run`.
@discardableResult
package func scanTestScan(_ db: String, inputs: [String], policies: [Policy], store: StoreMode = .all, jobs: Int = 2,
                          chunkBytes: Int = 64, maxRecordBytes: Int = 1 << 20, waitLock: Double = 0) throws -> RunReport {
    var request = ScanRequest(inputs: inputs, policies: policies, databasePath: db)
    request.store = store
    request.jobs = jobs
    request.input.chunkBytes = chunkBytes
    request.input.maxRecordBytes = maxRecordBytes
    request.waitLock = waitLock
    request.commandLine = "consentry scan (unit test)"
    return try Scanner.run(request)
}

/// A policy where some tracks have no `exposed` verdict at all (for `--store exposed`).
package let scanTestStrictPolicyYAML = """
    id: test-strict
    title: Test policy where some tracks have nothing exposed
    source: unit test
    uses:
      ai_generative_training:
        - id: labelled
          when: { label_status: [major, licensed] }
          verdict: blocked
        - id: opt-in
          when: { genai_opt_in: true }
          verdict: consented
        - id: opted-out
          when: { ai_opt_out: true }
          verdict: blocked
        - id: open
          verdict: exposed
      ai_training:
        - id: labelled
          when: { label_status: [major, licensed] }
          verdict: blocked
        - id: opted-out
          when: { ai_opt_out: true }
          verdict: blocked
        - id: open
          verdict: exposed
      ai_inference:
        - id: major
          when: { label_status: major }
          verdict: blocked
        - id: no-ai
          when: { no_ai_tag: true }
          verdict: blocked
        - id: open
          verdict: exposed
      data_mining:
        - id: closed
          verdict: blocked
    """

package func scanTestStrictPolicy() throws -> Policy {
    try PolicyLoader.load(yaml: scanTestStrictPolicyYAML, origin: "test-strict.yaml")
}
