"""Order of the gallery: the quick start first, the multi-process example last."""


class GalleryOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        """Quick start, then alphabetical, then the example that is not run."""
        return (filename == "ddp_train.py", filename != "quickstart.py", filename)

    def __repr__(self):
        return "GalleryOrder"
