"""Loading: reading exports into a Dataset of typed records; malformed rows become values, never exceptions."""

from .dataset import load_dataset, majority_label, read_rows
from .records import Annotation, Dataset, InputFile, Record, RecordError

__all__ = ["load_dataset", "majority_label", "read_rows", "Annotation", "Dataset", "InputFile", "Record", "RecordError"]
