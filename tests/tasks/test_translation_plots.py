import torch

from rnnkit.tasks.translation.plots import plot_attention


def test_attention_heatmap_is_a_png(tmp_path):
    weights = torch.softmax(torch.randn(4, 3), -1)     # 3 output tokens + [END], 3 source tokens
    plot_attention(weights, ["ein", "roter", "Hund"], ["a", "red", "dog"], tmp_path / "map.png", "a red dog")
    data = (tmp_path / "map.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    assert not list(tmp_path.glob(".*tmp*"))
