# pandas: build a frame, write it to CSV under /tmp, read it back, group and aggregate.
import numpy as np
import pandas as pd

rng = np.random.default_rng(2)
df = pd.DataFrame({"k": rng.integers(0, 5, 1000), "v": rng.standard_normal(1000),
                   "t": pd.date_range("2024-01-01", periods=1000, freq="h")})
df.to_csv("/tmp/frame.csv", index=False)
back = pd.read_csv("/tmp/frame.csv", parse_dates=["t"])
pd.testing.assert_frame_equal(df, back)
means = back.groupby("k")["v"].mean()
assert len(means) == 5 and np.allclose(means, df.groupby("k")["v"].mean())
print("pandas ok")
