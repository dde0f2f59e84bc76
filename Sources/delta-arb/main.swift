import DeltaArbitrage
print("delta-arb")
