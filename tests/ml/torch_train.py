# PyTorch: train a small two-layer network on CPU (autograd, an optimizer, intra-op threads).
import torch

torch.manual_seed(0)
torch.set_num_threads(2)
X = torch.randn(512, 16)
y = (X @ torch.randn(16, 1) > 0).float()
model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.5)
loss_fn = torch.nn.BCEWithLogitsLoss()
for _ in range(200):
    opt.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    opt.step()
accuracy = ((model(X) > 0).float() == y).float().mean().item()
assert accuracy > 0.9, accuracy
print("torch train ok", round(accuracy, 2))
