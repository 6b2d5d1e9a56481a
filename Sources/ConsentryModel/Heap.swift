/// A binary heap whose root is the element none of the others goes in front of.
///
/// The order is passed to each call rather than stored: the merges order their heap of
/// indices by state they own (each run's or segment's current track), which a stored closure
/// would have to capture, and the top-N breakdown orders rows by a choice made per call.
public struct Heap<Element> {
    @usableFromInline var elements: [Element] = []

    public init() {}

    public var isEmpty: Bool { elements.isEmpty }
    public var count: Int { elements.count }
    /// The root, nil when the heap is empty.
    public var top: Element? { elements.first }
    /// Every element, in no particular order.
    public var unordered: [Element] { elements }

    public mutating func reserveCapacity(_ count: Int) { elements.reserveCapacity(count) }

    /// Adds `element`; `inFront(a, b)` says whether `a` goes before `b`.
    @inlinable
    public mutating func push(_ element: Element, by inFront: (Element, Element) -> Bool) {
        elements.append(element)
        var k = elements.count - 1
        while k > 0 {
            let parent = (k - 1) / 2
            guard inFront(elements[k], elements[parent]) else { break }
            elements.swapAt(k, parent)
            k = parent
        }
    }

    /// Removes the root and returns it; the heap must not be empty.
    @inlinable
    public mutating func pop(by inFront: (Element, Element) -> Bool) -> Element {
        let root = elements[0]
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            siftDown(by: inFront)
        }
        return root
    }

    /// Puts `element` in the root's place; the heap must not be empty.
    @inlinable
    public mutating func replaceTop(with element: Element, by inFront: (Element, Element) -> Bool) {
        elements[0] = element
        siftDown(by: inFront)
    }

    @inlinable
    mutating func siftDown(by inFront: (Element, Element) -> Bool) {
        var k = 0
        while true {
            let l = 2 * k + 1, r = l + 1
            var m = k
            if l < elements.count && inFront(elements[l], elements[m]) { m = l }
            if r < elements.count && inFront(elements[r], elements[m]) { m = r }
            if m == k { break }
            elements.swapAt(k, m)
            k = m
        }
    }
}
