"""The electronic queue (Q): tickets, bookings, operators and Free, the board, printing, the hall
console.
"""
