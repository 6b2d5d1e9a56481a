import ConsentryModel

/// Receives the rejects a scan keeps (see ``RejectKeeper``), each input's in input order.
public protocol RejectSink: AnyObject {
    /// A rejected record of input number `input` (`path` as given).
    func rejected(input: Int, path: String, _ reject: RejectedRecord) throws
}
