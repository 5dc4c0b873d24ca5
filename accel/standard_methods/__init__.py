"""accel's standard methods (a_csvimport.py, a_dataset_type.py, ...), always available."""
