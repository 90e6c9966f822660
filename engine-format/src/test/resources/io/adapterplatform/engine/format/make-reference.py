# Regenerates reference.safetensors/.json with the reference Python implementation (pip install safetensors==0.8.0).
import json, random, sys, ctypes
import safetensors
from safetensors import serialize, deserialize, TensorSpec
random.seed(1)
out, specs, keep = {}, {}, []
sizes = {"F32": 4, "F16": 2, "BF16": 2}
names = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
shapes = [[3, 5], [7], [2, 3, 4], [0, 4], [], [1, 1]]
i = 0
for dt in ["F32", "F16", "BF16"]:
    for sh in shapes:
        n = 1
        for d in sh: n *= d
        data = bytes(random.getrandbits(8) for _ in range(n * sizes[dt]))
        buf = ctypes.create_string_buffer(data, max(len(data), 1))
        keep.append(buf)
        name = f"layer.{i}.{dt.lower()}.weight"
        specs[name] = TensorSpec(dtype=names[dt], shape=sh, data_ptr=ctypes.addressof(buf), data_len=len(data))
        out[name] = {"dtype": dt, "shape": sh, "hex": data.hex()}
        i += 1
blob = serialize(specs, metadata={"format": "pt", "writer": "safetensors " + safetensors.__version__})
open("./reference.safetensors", "wb").write(blob)
json.dump(out, open("./reference.json", "w"), indent=0, sort_keys=True)
# check the reference reads it back
back = dict(deserialize(blob))
assert all(bytes(back[k]["data"]) == bytes.fromhex(v["hex"]) for k, v in out.items())
print("wrote", len(blob), "bytes", file=sys.stderr)
