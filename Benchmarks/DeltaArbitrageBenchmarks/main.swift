import DeltaArbitrage
print("bench")
