"""Vision detection on the synthetic images with ultralytics YOLO (optional extra ``detect``, AGPL-3.0).

Only this package imports ultralytics, and only through :func:`maxray_gen.detect.offline.ultralytics`, which
first makes it fully offline. Metrics, exports and the detections sidecar are plain numpy/h5py and work without it.
"""
