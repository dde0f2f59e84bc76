import Testing
@testable import DeltaArbitrageService
