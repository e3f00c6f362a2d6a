"""Sensors in numpy + Mitsuba ray casting: camera geometry, depth and instance passes, boxes, lidar, groundtruth."""
