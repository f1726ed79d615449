"""Loading: reading exports into a Dataset of typed records; malformed rows become values, never exceptions.

files.py reads rows from a file (any compression, any container), readers.py reads one record of one
training format, dataset.py assembles them into a Dataset.
"""

from .dataset import load_dataset, majority_label, read_rows
from .readers import FORMAT_NAMES
from .records import Annotation, Dataset, InputFile, Record, RecordError

__all__ = ["FORMAT_NAMES", "load_dataset", "majority_label", "read_rows", "Annotation", "Dataset", "InputFile", "Record",
           "RecordError"]
