/// The nine columns of `MarketData` being written, for the merge's loop.
struct MarketDataOutputColumns {
    let timestamps: UnsafeMutableBufferPointer<Int64>
    let spotAskPrice: UnsafeMutableBufferPointer<Double>
    let spotBidPrice: UnsafeMutableBufferPointer<Double>
    let spotAskQuantity: UnsafeMutableBufferPointer<Double>
    let spotBidQuantity: UnsafeMutableBufferPointer<Double>
    let futAskPrice: UnsafeMutableBufferPointer<Double>
    let futBidPrice: UnsafeMutableBufferPointer<Double>
    let futAskQuantity: UnsafeMutableBufferPointer<Double>
    let futBidQuantity: UnsafeMutableBufferPointer<Double>
}

extension MarketData {
    /// Market data whose nine columns are created with room for `capacity`
    /// rows and written in place by `fill`, which initialises rows
    /// `0..<r` of every column and returns `r` (at most `capacity`). The
    /// storage is allocated once, before `fill` runs, and large columns are
    /// mapped in bulk (`FreshPages`).
    init(newColumns capacity: Int, _ fill: (MarketDataOutputColumns) -> Int) {
        var rows = 0
        var spotAsk: [Double] = [], spotBid: [Double] = [], spotAskQuantity: [Double] = []
        var spotBidQuantity: [Double] = [], futAsk: [Double] = [], futBid: [Double] = []
        var futAskQuantity: [Double] = [], futBidQuantity: [Double] = []
        let times = [Int64](unsafeUninitializedCapacity: capacity) { t, c0 in
            spotAsk = [Double](unsafeUninitializedCapacity: capacity) { sa, c1 in
                spotBid = [Double](unsafeUninitializedCapacity: capacity) { sb, c2 in
                    spotAskQuantity = [Double](unsafeUninitializedCapacity: capacity) { saq, c3 in
                        spotBidQuantity = [Double](unsafeUninitializedCapacity: capacity) { sbq, c4 in
                            futAsk = [Double](unsafeUninitializedCapacity: capacity) { fa, c5 in
                                futBid = [Double](unsafeUninitializedCapacity: capacity) { fb, c6 in
                                    futAskQuantity = [Double](unsafeUninitializedCapacity: capacity) { faq, c7 in
                                        futBidQuantity = [Double](unsafeUninitializedCapacity: capacity) { fbq, c8 in
                                            FreshPages.prepare(UnsafeMutableRawBufferPointer(t))
                                            for column in [sa, sb, saq, sbq, fa, fb, faq, fbq] {
                                                FreshPages.prepare(UnsafeMutableRawBufferPointer(column))
                                            }
                                            rows = fill(MarketDataOutputColumns(
                                                timestamps: t, spotAskPrice: sa, spotBidPrice: sb,
                                                spotAskQuantity: saq, spotBidQuantity: sbq, futAskPrice: fa,
                                                futBidPrice: fb, futAskQuantity: faq, futBidQuantity: fbq))
                                            c8 = rows
                                        }
                                        c7 = rows
                                    }
                                    c6 = rows
                                }
                                c5 = rows
                            }
                            c4 = rows
                        }
                        c3 = rows
                    }
                    c2 = rows
                }
                c1 = rows
            }
            c0 = rows
        }
        self.init()
        timestamps = Column(times)
        spotAskPrice = Column(spotAsk); spotBidPrice = Column(spotBid)
        self.spotAskQuantity = Column(spotAskQuantity); self.spotBidQuantity = Column(spotBidQuantity)
        futAskPrice = Column(futAsk); futBidPrice = Column(futBid)
        self.futAskQuantity = Column(futAskQuantity); self.futBidQuantity = Column(futBidQuantity)
    }
}
