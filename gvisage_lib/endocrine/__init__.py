"""endocrine"""
