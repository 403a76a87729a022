print("q8train")
