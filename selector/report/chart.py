"""A chart for the decision record: the top frameworks' scores by criterion, and their rank
acceptability. Returns the image as bytes; the CLI writes the file."""

from __future__ import annotations

import io

from selector.errors import DlselectError
from selector.models import Recommendation

FORMATS = (".svg", ".png")
TOP = 5


def chart_bytes(rec: Recommendation, suffix: str) -> bytes:
    if suffix not in FORMATS:
        raise DlselectError(f"--chart file must end in {' or '.join(FORMATS)}, not {suffix!r}")
    import matplotlib

    matplotlib.use("Agg")  # no display; never opens a window
    import matplotlib.pyplot as plt
    import numpy as np

    top = rec.ranking[:TOP]
    criteria = [c for c, w in rec.weights.items() if w > 0]
    rb = rec.robustness
    panels = 2 if rb is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 0.38 * len(criteria) + 2.2),
                             squeeze=False)
    ax = axes[0][0]
    height = 0.8 / max(len(top), 1)
    y = np.arange(len(criteria))
    for i, entry in enumerate(top):
        values = [entry.evidence[c].value if c in entry.evidence else 0.0 for c in criteria]
        ax.barh(y + i * height, values, height, label=f"{entry.rank}. {entry.name}")
    ax.set_yticks(y + height * (len(top) - 1) / 2, [f"{c} ({rec.weights[c]:.0%})"
                                                     for c in criteria])
    ax.invert_yaxis()
    ax.set_xlim(rec.snapshot.scale.min - 0.05 * rec.snapshot.scale.max, rec.snapshot.scale.max)
    ax.set_xlabel(f"score ({rec.snapshot.scale.min:g} to {rec.snapshot.scale.max:g}); "
                  "criterion (weight)")
    ax.set_title(f"Scores by criterion, snapshot {rec.snapshot.id}")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3,
              frameon=False)
    if rb is not None:
        ax2 = axes[0][1]
        names = [e.name for e in top]
        left = np.zeros(len(top))
        ranks = len(rec.ranking)
        # A sequential colour map: rank colours must not look like the frameworks' colours.
        colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, ranks))
        for r in range(ranks):
            shares = np.array([rb.acceptability_around[e.framework][r] for e in top])
            if shares.sum() > 0:
                ax2.barh(names, shares, left=left, label=f"rank {r + 1}", color=colours[r])
            left += shares
        ax2.invert_yaxis()
        ax2.set_xlim(0, 1)
        ax2.set_xlabel(f"share of {rb.samples:,} weight samples around the team's priorities")
        ax2.set_title("Rank acceptability (SMAA-2)")
        ax2.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.1),
                   ncol=min(ranks, 6), frameon=False)
    fig.tight_layout()
    buffer = io.BytesIO()
    # No timestamps in the files, so the same decision draws the same bytes.
    fig.savefig(buffer, format=suffix.lstrip("."), metadata={"Date": None} if suffix == ".svg"
                else {"Software": None})
    plt.close(fig)
    return buffer.getvalue()
